"""Simulation of what the array hears: dry source signals (`signals`) and, built on them, scenes."""
