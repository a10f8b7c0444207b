"""One module per `okr` sub-command; each exposes `register(app)`."""
