"""Evidence: the content-addressed store of original files and the image checks and
derivations (thumbnails, PDQ) made from them."""
