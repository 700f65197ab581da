"""The endpoint layer: the four fal endpoints wired to the LTX-2.3 sampler.

`geometry` (sizes, frames, fps) and `presets` (each endpoint's documented recipe) are pure;
`engine.create_engine` is the `Engine` the server runs (see docs/endpoints.md). Importing this
package does not import torch.
"""
