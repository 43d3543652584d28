"""The API's resources: `chat.completions` and `images`, as thin facades over the flows."""
