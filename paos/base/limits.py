"""What one input may cost. Each is far above any real engagement (README
"What PAOS protects against")."""

MAX_TABLE_BYTES = 64 * 2**20  # one CSV file (at worst ~15x this in memory while parsed)
MAX_META_BYTES = 2**20  # engagement.yaml, an answers file, a rulebook
MAX_WORKBOOK_BYTES = 64 * 2**20  # one .xlsx/.xlsm/.ods/.xls file as stored
MAX_PART_BYTES = 32 * 2**20  # one part (file) of a workbook once inflated
MAX_PARTS_BYTES = 64 * 2**20  # all parts of a workbook once inflated (~30 s to read)
MAX_RATIO = 100  # inflated/compressed size of a part larger than RATIO_FROM
RATIO_FROM = 2**20
MAX_ROWS = 1_048_576  # lines of a table, header included (a spreadsheet's own)
MAX_COLUMNS = 1024  # columns of a table (CSV header or sheet)
MAX_CELLS = 10_000_000  # cells of a sheet, counting blanks up to each row's last
MAX_YAML_DEPTH = 16  # lists and mappings nested in YAML
MAX_REPORTED = 20  # problems of one kind per file listed; then one count line
