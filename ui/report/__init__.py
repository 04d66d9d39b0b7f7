"""Case → Report…: the signed case report dialog."""
