"""Pure functions that build the Dash component trees of each screen."""
