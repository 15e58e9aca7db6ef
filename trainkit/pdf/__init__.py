"""Making PDFs: one WeasyPrint render through a restricted fetcher (render), documents laid
out lesson by lesson and assembled (parts), one font program per face across the parts
(fonts), and the worker processes that do it within time and memory budgets (pool)."""
