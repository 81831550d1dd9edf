"""Small reusable widgets and renderers."""
