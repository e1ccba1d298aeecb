"""Text, pure: no I/O anywhere in this package.

- ``words``    normalisation shared by matching and clustering (NFKC, casefold, ё→е, stems,
               word forms, transliteration, which script a string is in)
- ``dates``    publication dates from a field, a URL or a phrase (Russian, Ukrainian, English)
- ``charset``  response bytes to text, and why that charset
- ``urls``     canonical URLs: the identity of a hit
- ``extract``  an article page to title, date, lead and text (trafilatura)
"""
