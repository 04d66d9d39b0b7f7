"""Reading a capture: OCR (``ocr/``), indicators, the keyword lexicon, search and links."""
