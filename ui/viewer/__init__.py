"""The viewer: one capture full size with OCR word boxes, its text laid out in each
line's direction, indicators, links and annotations."""
