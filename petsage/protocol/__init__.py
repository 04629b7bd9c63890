"""The uvicorn HTTP protocol PetSage serves with: bounds and rules applied before the app runs."""
