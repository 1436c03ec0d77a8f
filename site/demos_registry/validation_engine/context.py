"""State shared by the checks of one validation run: the submission, metadata and built engines.

Engines are built lazily and cached so that a check that is not requested costs nothing, and a
model that fails to build is reported once with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import formats
from .engines.base import LikelihoodEngine
from .inputs import ModelFile, Submission
from .limits import ResourceLimits
from .metadata import ValidationMetadata
from .patching import PatchConflict, apply_patch

MAX_MODIFIERS_FOR_PYHS3_TRANSLATION = 100


class ModelBuildError(Exception):
    """The selected model cannot be built by the engine; the message says why."""


class EngineNotApplicable(ModelBuildError):
    """The engine cannot take part for a reason that lies with the engine, not the submission."""


@dataclass
class PrimaryModel:
    """The model reference points and expected outputs refer to: a document plus an optional patch."""

    source: ModelFile
    patch_label: str | None
    document: Any
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How reports name the model: the file, plus the patch applied to it."""
        return self.source.name + (f" + {self.patch_label}" if self.patch_label else "")


@dataclass
class PatchCandidate:
    """One patch from a JSON-patch file or a pyhf patchset, with the workspace it targets."""

    label: str
    operations: list[Any]
    container: ModelFile
    base: ModelFile | None


@dataclass
class Context:
    """What the checks of one run share; each engine is built and the primary model resolved once."""

    submission: Submission
    metadata: ValidationMetadata
    limits: ResourceLimits
    progress: Callable[[str], None] = lambda message: None
    _engines: dict[str, LikelihoodEngine | ModelBuildError] = field(default_factory=dict)
    _primary: PrimaryModel | ModelBuildError | None = None
    _primary_resolved: bool = False
    _patch_candidates: list[PatchCandidate] | None = None
    _pyhf_models: dict[tuple[str, bool], tuple[Any, list[float]]] = field(default_factory=dict)
    _schema_valid: set[str] = field(default_factory=set)
    point_rows: list[dict[str, Any]] | None = None
    """The evaluated signal points of this run, for the tables and the CLs figure."""

    def validate_workspace_schema(self, key: str, spec: dict[str, Any]) -> None:
        """Pyhf's workspace schema, once per document (a patched workspace is built in two checks)."""
        import pyhf

        if key not in self._schema_valid:
            pyhf.schema.validate(spec, "workspace.json")
            self._schema_valid.add(key)

    def pyhf_model(self, key: str, spec: dict[str, Any], with_poi: bool) -> tuple[Any, list[float]]:
        """Build once the pyhf model and data of a workspace whose schema was already checked.

        Several checks and the facts need the same model; pyhf would re-validate the schema on
        every construction, which dominates the cost for large workspaces.
        """
        import pyhf

        cache_key = (key, with_poi)
        if cache_key not in self._pyhf_models:
            guard_pyhf_size(spec, self.limits)
            workspace = pyhf.Workspace(spec, validate=False)
            if with_poi:
                model = workspace.model(measurement_name=self.metadata.selection.measurement, validate=False)
            else:
                model = workspace.model(poi_name=None, validate=False)
            self._pyhf_models[cache_key] = (model, workspace.data(model))
        return self._pyhf_models[cache_key]

    def workspaces(self) -> list[ModelFile]:
        """The pyhf workspaces that passed the integrity checks: the bases patches can apply to."""
        return [
            document
            for document in self.submission.of_format(formats.PYHF_WORKSPACE)
            if not document.problems
        ]

    def patch_candidates(self) -> list[PatchCandidate]:
        """Every patch with its base: same directory first, else the only workspace submitted."""
        if self._patch_candidates is None:
            self._patch_candidates = self._find_patch_candidates()
        return self._patch_candidates

    def _find_patch_candidates(self) -> list[PatchCandidate]:
        candidates = []
        for container in self.submission.of_format(formats.JSON_PATCH, formats.PYHF_PATCHSET):
            if container.problems:
                continue
            base = self._base_workspace_for(container)
            if container.format == formats.JSON_PATCH:
                candidates.append(PatchCandidate(container.name, container.document, container, base))
                continue
            patches = container.document.get("patches")
            for patch in patches if isinstance(patches, list) else []:
                if not isinstance(patch, dict):
                    continue
                name = (patch.get("metadata") or {}).get("name", "?")
                candidates.append(
                    PatchCandidate(f"{container.name}#{name}", patch.get("patch") or [], container, base)
                )
        return candidates

    def _base_workspace_for(self, container: ModelFile) -> ModelFile | None:
        workspaces = self.workspaces()
        same_directory = [workspace for workspace in workspaces if workspace.directory == container.directory]
        if len(same_directory) == 1:
            return same_directory[0]
        return workspaces[0] if len(workspaces) == 1 else None

    def primary(self) -> PrimaryModel | None:
        """Resolve (once) which model the reference points mean; raise ModelBuildError if unclear."""
        if not self._primary_resolved:
            self._primary_resolved = True
            try:
                self._primary = self._resolve_primary()
            except ModelBuildError as exc:
                self._primary = exc
        if isinstance(self._primary, ModelBuildError):
            raise self._primary
        return self._primary

    def _resolve_primary(self) -> PrimaryModel | None:
        selection = self.metadata.selection
        notes = []
        if selection.model:
            source = self.submission.find(selection.model)
            if source is None:
                raise ModelBuildError(
                    f"metadata names model {selection.model!r}, which is not in the submission"
                )
        else:
            candidates = sorted(
                (d for d in self.submission.of_format(formats.PYHF_WORKSPACE, formats.HS3) if not d.problems),
                key=lambda document: document.name,
            )
            if not candidates:
                return None
            source = candidates[0]
            if len(candidates) > 1:
                notes.append(
                    f"{len(candidates)} models submitted and none selected in the metadata; using {source.name}"
                )
        if source.problems:
            raise ModelBuildError(f"{source.name} failed integrity checks: {'; '.join(source.problems)}")
        patch = self._selected_patch(source, selection.patch, notes)
        if patch is None:
            return PrimaryModel(source, None, source.document, notes)
        try:
            patched = apply_patch(source.document, patch.operations)
        except PatchConflict as exc:
            raise ModelBuildError(f"patch {patch.label} does not apply to {source.name}: {exc}") from exc
        return PrimaryModel(source, patch.label, patched, notes)

    def _selected_patch(
        self, source: ModelFile, wanted: str | None, notes: list[str]
    ) -> PatchCandidate | None:
        candidates = [candidate for candidate in self.patch_candidates() if candidate.base is source]
        if wanted:
            for candidate in candidates:
                if candidate.label == wanted or candidate.label.endswith(
                    ("/" + wanted, "!" + wanted, "#" + wanted)
                ):
                    return candidate
            raise ModelBuildError(f"metadata names patch {wanted!r}, which is not a patch of {source.name}")
        if source.format != formats.PYHF_WORKSPACE or not candidates:
            return None
        measurement_pois = {m.get("config", {}).get("poi") for m in source.document.get("measurements") or []}
        parameters = {
            modifier.get("name")
            for channel in source.document.get("channels") or []
            for sample in channel.get("samples") or []
            for modifier in sample.get("modifiers") or []
        }
        if measurement_pois & parameters:
            return None
        chosen = sorted(candidates, key=lambda candidate: candidate.label)[0]
        notes.append(
            f"the background-only workspace has no POI and no patch was selected; using {chosen.label}"
        )
        return chosen

    def engine(self, name: str) -> LikelihoodEngine:
        """The primary model in the named engine ('pyhf', 'pyhs3' or 'root'), cached."""
        if name not in self._engines:
            try:
                self._engines[name] = self._build_engine(name)
            except ModelBuildError as exc:
                self._engines[name] = exc
            except MemoryError:
                self._engines[name] = ModelBuildError(
                    f"{name}: out of memory (limit {self.limits.memory_bytes} bytes)"
                )
            except Exception as exc:
                self._engines[name] = ModelBuildError(
                    f"{name} cannot build the model: {describe_exception(exc)}"
                )
        built = self._engines[name]
        if isinstance(built, ModelBuildError):
            raise built
        return built

    def engine_names(self) -> list[str]:
        """Engines able to read the primary model's format, the reference engine first."""
        primary = self.primary()
        if primary is None:
            return []
        names = ["pyhs3", "pyhf", "root"] if primary.source.format == formats.HS3 else ["pyhf", "pyhs3"]
        declared = self.metadata.engine
        if declared in names:
            names.remove(declared)
            names.insert(0, declared)
        return names

    def reference_engine(self) -> LikelihoodEngine:
        """The first engine that builds the model; HS3 falls back from pyhs3 to pyhf."""
        reasons = []
        for name in self.engine_names()[:2]:
            if name == "root":
                continue
            try:
                return self.engine(name)
            except ModelBuildError as exc:
                reasons.append(str(exc))
        raise ModelBuildError("; ".join(reasons) or "no model to evaluate")

    def _build_engine(self, name: str) -> LikelihoodEngine:
        primary = self.primary()
        if primary is None:
            raise ModelBuildError("no workspace or HS3 model in the submission")
        self.progress(f"building the {name} model of {primary.label}")
        if name == "pyhf":
            return self._build_pyhf(primary)
        if name == "pyhs3" and primary.source.format != formats.HS3:
            return self._build_translated_pyhs3(primary)
        if primary.source.format != formats.HS3:
            raise ModelBuildError(f"{name} reads HS3 only, the model is {primary.source.format}")
        guard_hs3_size(primary.document, self.limits)
        if name == "pyhs3":
            from .engines.pyhs3 import Pyhs3Engine

            return Pyhs3Engine(primary.document)
        if name == "root":
            from .engines.root import RootEngine

            return RootEngine(primary.document)
        raise ModelBuildError(f"unknown engine {name!r}")

    def _build_pyhf(self, primary: PrimaryModel) -> LikelihoodEngine:
        from .checks.schema import structural_problems
        from .engines.pyhf import PyhfEngine

        aliases: dict[str, str] = {}
        spec = primary.document
        if primary.source.format == formats.HS3:
            from .engines.hs3_to_pyhf import UnsupportedHS3Error, hs3_to_pyhf

            guard_hs3_size(spec, self.limits)
            try:
                spec, aliases = hs3_to_pyhf(spec)
            except (UnsupportedHS3Error, KeyError, TypeError) as exc:
                raise ModelBuildError(f"pyhf: the HS3 model cannot be translated: {exc}") from exc
        if primary.patch_label or aliases:
            self.validate_workspace_schema(primary.label, spec)
        inconsistent = next(structural_problems(spec), None)
        if inconsistent is not None:
            raise ModelBuildError(
                f"pyhf: the workspace is inconsistent at {inconsistent[0]}: {inconsistent[1]}"
            )
        model, data = self.pyhf_model(primary.label, spec, with_poi=True)
        return PyhfEngine(model, data, aliases)

    def _build_translated_pyhs3(self, primary: PrimaryModel) -> LikelihoodEngine:
        """pyhs3 on an HS3 translation of the pyhf workspace: an independent second engine.

        Whatever stops it (something HS3 cannot express, a construct pyhs3 does not evaluate)
        says nothing about the submission, so it is reported as not applicable.
        """
        modifiers = formats.count_pyhf_modifiers(primary.document)
        if modifiers > MAX_MODIFIERS_FOR_PYHS3_TRANSLATION:
            raise EngineNotApplicable(
                f"pyhs3 is not run on a translation of {modifiers} modifiers (limit "
                f"{MAX_MODIFIERS_FOR_PYHS3_TRANSLATION}): building its graph takes ~25 ms per modifier"
            )
        from .engines.pyhf_to_hs3 import pyhf_to_hs3
        from .engines.pyhs3 import Pyhs3Engine

        reference = self.engine("pyhf")
        model = reference.model
        try:
            document, aliases = pyhf_to_hs3(
                model, primary.document, list(reference.data[: model.config.nmaindata])
            )
            return Pyhs3Engine(document, aliases={hs3: flat for flat, hs3 in aliases.items()})
        except Exception as exc:
            raise EngineNotApplicable(
                f"pyhs3 cannot evaluate an HS3 translation: {describe_exception(exc)}"
            ) from exc


def describe_exception(exc: BaseException) -> str:
    """One line: the type and the first lines of the message, without pydantic's help links."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("For further information")]
    return f"{type(exc).__name__}: {' '.join(lines[:3])}"


def guard_pyhf_size(spec: dict[str, Any], limits: ResourceLimits) -> None:
    """Refuse a pyhf spec with more sample bins than the limits allow, before pyhf allocates them."""
    bins = formats.count_pyhf_bins(spec)
    if bins > limits.max_bins:
        raise ModelBuildError(f"{bins} sample bins, above the limit of {limits.max_bins}")


def guard_hs3_size(document: dict[str, Any], limits: ResourceLimits) -> None:
    """Refuse an HS3 document whose axes declare too many bins, before an engine allocates them."""
    bins = formats.count_hs3_bins(document)
    if bins > limits.max_bins:
        raise ModelBuildError(f"HS3 axes declare {bins} bins, above the limit of {limits.max_bins}")
