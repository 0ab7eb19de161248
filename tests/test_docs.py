"""The documentation a fresh clone ships is self-contained: the method
rationale is in the repository and relative links resolve."""
import glob
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
LINK = re.compile(r'\]\(([^)\s]+)\)')


def _text_files():
    for pattern in ('*.md', 'docs/**/*.md', 'configs/**/*.md',
                    'configs/**/*.py', 'mmocr_mms/**/*.py', 'tools/**/*.py'):
        yield from glob.glob(osp.join(ROOT, pattern), recursive=True)


def test_no_pointer_to_notes_outside_the_repository():
    offenders = []
    for path in _text_files():
        with open(path, encoding='utf-8') as f:
            if 'shared/docs' in f.read():
                offenders.append(osp.relpath(path, ROOT))
    assert offenders == []


def test_method_notes_are_linked_from_readme_and_results():
    assert osp.isfile(osp.join(ROOT, 'docs', 'method.md'))
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        assert '(docs/method.md)' in f.read()
    with open(osp.join(ROOT, 'docs', 'results.md'), encoding='utf-8') as f:
        assert '(method.md#claims-checked-here)' in f.read()
    with open(osp.join(ROOT, 'docs', 'method.md'), encoding='utf-8') as f:
        assert '\n## Claims checked here\n' in f.read()


def test_relative_markdown_links_resolve():
    broken = []
    for md in glob.glob(osp.join(ROOT, '*.md')) + glob.glob(
            osp.join(ROOT, 'docs', '**', '*.md'), recursive=True):
        with open(md, encoding='utf-8') as f:
            for target in LINK.findall(f.read()):
                path = target.split('#', 1)[0]
                if not path or re.match(r'[a-z]+:', path):
                    continue  # in-page anchor or URL
                if not osp.exists(osp.join(osp.dirname(md), path)):
                    broken.append(f'{osp.relpath(md, ROOT)}: {target}')
    assert broken == []
