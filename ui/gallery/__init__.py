"""The gallery: the capture model and its tiles, thumbnails (blurred until revealed),
the filter sidebar and search results."""
