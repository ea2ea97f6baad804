"""Streamlit helpers shared by the dashboard pages: the frame, cached loaders, charts, pictures.

Only this package and ``pages/`` import Streamlit; the data comes from :mod:`pipeline.queries`.
"""
