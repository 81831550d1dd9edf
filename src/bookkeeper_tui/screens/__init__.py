"""The app's screens; each is imported the first time it is shown."""
