"""The service layer: what PetSage answers, with no HTTP in it."""
