"""The embedded OCR engine (rapidocr models on onnxruntime) and the local provider built on it."""
