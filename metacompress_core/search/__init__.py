"""How variants are chosen: recipes (replayable transform sequences) and the search strategies over them."""
