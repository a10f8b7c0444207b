"""One router per resource; each route parses, makes one call and shapes the answer."""
