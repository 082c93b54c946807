"""One module per area; each exports CONTROLS, a tuple of `policies.model.Control`."""
