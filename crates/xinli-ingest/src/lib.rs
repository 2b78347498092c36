//! Importers: the canonical data contract, shop-export presets, mappings, encodings and quarantine.
