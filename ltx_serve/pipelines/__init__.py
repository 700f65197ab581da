"""The LTX-2.3 sampler: one denoising engine for every endpoint mode.

Entry point (constructor-injected components, validate-then-execute)::

    from ltx_serve.pipelines.sampler import generate
    result = generate(components, plan, lora_control=None)

- `components`: `ltx_serve.models.components.LTXComponents` (transformer, connectors, vae,
  audio_vae, vocoder, text_encoder + tokenizer, upsampler).
- `plan`: `plan.GenerationPlan` (frozen): geometry, fps, seed, prompts (text or
  `text.PromptEmbeddings`), conditioning items (`conditioning.py`), `StagePlan` per stage
  (schedule + steps or explicit sigmas, stepper, `guidance.Guidance`, LoRA scales), `on_step`
  and `check_cancel` callbacks. `stage2` set = multiscale.
- `lora_control`: anything with `set_loras({name: scale})` (`plan.LoraControl`;
  `loras.PeftLoraControl` for adapters loaded into the diffusers transformer).
- returns `sampler.GenerationResult`: normalised latents, `audio_frozen`, and when
  `plan.output == "decoded"` an iterator of uint8 frame chunks plus a 48 kHz stereo waveform.

Modules: `schedules` (sigmas), `steppers` (Euler, Euler-ancestral, restart, gradient
estimation), `guidance` (batched CFG/STG/modality passes), `conditioning` + `encode` (items),
`latents` (token layout, positions), `text` (Gemma + connectors), `audio` (input audio ->
latents), `denoise` (one stage), `multiscale` (x2 upsampler), `decode` (tiled VAE, vocoder).
Nothing here is imported by the API layer; torch is imported by the submodules only.
"""
