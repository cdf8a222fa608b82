"""Template tags of the authgate Django app."""
