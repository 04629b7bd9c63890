"""HTTP plumbing plugged into Connexion through its extension points."""
