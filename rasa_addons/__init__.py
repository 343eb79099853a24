"""Custom Rasa 3.6 components for Vietnamese (runs in the Python 3.10 venv ``.venv-rasa``).

Nothing here imports hub code that needs Python 3.11: the only project module used is
``faq/normalize.py`` (stdlib + underthesea), loaded lazily with a built-in fallback.
"""
