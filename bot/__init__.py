"""Rasa-side code: settings, the spaCy cue pipeline, custom NLU components, channels, launcher."""
