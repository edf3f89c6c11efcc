"""Prescription providers: the services whose prescribers write the prescriptions gated submissions wait for."""
