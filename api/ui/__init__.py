"""The web dashboard (contract section 6): templates, static files and their routes."""
