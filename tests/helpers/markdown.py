"""Reading markdown tables back, for tests of generated reports."""


def markdown_tables(text):
    """{heading: list of rows (list of cells)} of every table in ``text``."""
    tables, heading = {}, None
    for line in text.splitlines():
        if line.startswith('#'):
            heading = line.lstrip('# ').strip()
        elif line.startswith('|'):
            cells = [cell.strip() for cell in line.strip('|').split('|')]
            if not all(set(cell) <= set(':-') for cell in cells):
                tables.setdefault(heading, []).append(cells)
    return tables
