"""Storage: the SQLAlchemy models (`models`), engines and sessions (`db`), and repositories.

Start with `models.py`: it documents every table and column.
"""
