"""The domain rules: pure functions over plain data. Never imports Textual."""
