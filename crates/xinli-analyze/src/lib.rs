//! The analysis pipeline behind `xinli analyze`: import, models, scores, outputs.
