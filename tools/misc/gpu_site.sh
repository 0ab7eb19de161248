# Sourced by the GPU scripts (tools/benchmark_gpu.sh, tools/recipes/
# reading_gpu.sh): the GPU image has no OpenMMLab packages and no network.
#
#   gpu_site_install WHEEL_DIR "mod1, mod2, ..."
#
# When `import mod1, mod2, ...` fails, installs WHEEL_DIR/*.whl (no index,
# no dependencies) into a private folder ($SITE, default
# /tmp/mmocr_mms_site) and puts it on PYTHONPATH. mmocr imports imgaug at
# module level and imgaug 0.4 fails under the image's numpy 2, so an empty
# placeholder stands in for it (nothing here runs imgaug). Returns 1 when
# the install fails.
gpu_site_install() {
    local wheels=$1 modules=$2
    python3 -c "import $modules" 2>/dev/null && return 0
    SITE=${SITE:-/tmp/mmocr_mms_site}
    python3 -m pip install -q --no-index --no-deps --no-compile \
        --no-cache-dir --upgrade --target "$SITE" "$wheels"/*.whl || return 1
    export PYTHONPATH="$SITE:${PYTHONPATH:-}"
    if ! python3 -c "import imgaug" 2>/dev/null; then
        mkdir -p "$SITE/imgaug/augmenters"
        printf '%s\n' '"""Placeholder: imgaug 0.4 fails under numpy 2."""' \
            'class Keypoint: pass' 'class KeypointsOnImage: pass' \
            'class Polygon: pass' 'class PolygonsOnImage: pass' \
            > "$SITE/imgaug/__init__.py"
        echo 'from . import meta' > "$SITE/imgaug/augmenters/__init__.py"
        echo 'class Augmenter: pass' > "$SITE/imgaug/augmenters/meta.py"
    fi
}
