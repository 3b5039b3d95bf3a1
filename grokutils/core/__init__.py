"""What every chapter uses: parameters and the chapter start-up, seeding and the device, sweeps,
the trajectory record and its crossings, estimates, claims and their report, plotting, progress,
the dry run and the provenance stamp. Imports nothing else from grokutils."""
