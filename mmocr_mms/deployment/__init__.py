"""Deployment: ONNX export of CTC recognizers and an onnxruntime recognizer
(``onnx`` / ``onnxruntime`` are optional dependencies:
requirements/deploy.txt)."""
from .onnx_ctc import (CTCExportModule, ONNXCTCRecognizer,
                       build_postprocessor, compare_with_pytorch,
                       export_ctc_onnx)

__all__ = [
    'CTCExportModule', 'ONNXCTCRecognizer', 'build_postprocessor',
    'compare_with_pytorch', 'export_ctc_onnx'
]
