"""The encode pipeline: service-log rows -> validated, priced lines -> claims -> 837P files."""
