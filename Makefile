# Used by `sam build` for the models layer (BuildMethod: makefile): the packs
# land under /opt/models in the functions that mount the layer. Only what the
# functions read is shipped.
build-ModelsLayer:
	mkdir -p "$(ARTIFACTS_DIR)/models"
	set -e; for pack in models/*/; do \
	  name=$$(basename "$$pack"); \
	  mkdir -p "$(ARTIFACTS_DIR)/models/$$name"; \
	  cp "$$pack"config.json "$$pack"MODEL_CARD.md "$(ARTIFACTS_DIR)/models/$$name/"; \
	  for f in model.onnx tokenizer.json LICENSE QUALITY.md; do \
	    if [ -f "$$pack$$f" ]; then cp "$$pack$$f" "$(ARTIFACTS_DIR)/models/$$name/"; fi; \
	  done; \
	done
