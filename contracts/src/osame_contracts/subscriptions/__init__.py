"""What each service consumes: one module per consuming service, each with `CONSUMES`."""
