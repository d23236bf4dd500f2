"""Breaches, disputes between members, and the CVS arbiter's rulings."""
