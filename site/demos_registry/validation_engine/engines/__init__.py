"""Likelihood engines behind one interface: pyhf, pyhs3 and ROOT, plus HS3 translation."""
