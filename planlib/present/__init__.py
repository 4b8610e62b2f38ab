"""
What people see: report tables, figures, the notebook's workbook context, the JupyterLab widgets.

Import the modules (``from planlib.present import tables, plots``); this package re-exports nothing.
"""
