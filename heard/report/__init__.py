"""The findings report ("What you told us"): built from the data, published as a web page,
a PDF and a static folder with the open data and the record's tiles beside it."""
