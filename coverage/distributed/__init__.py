"""Beyond one machine: the coverage matrix by spatial tiles and the solve on a dask cluster."""
