// The learned placers, registered into placer/registry.h by the binaries that link rl/.
#pragma once

#include "placer/registry.h"

namespace rlplace::rl {

// From this budget on the `rl` pipeline anneals its start with `sa`'s own schedule (hot, its
// move mix, a solver run first) instead of the cold refinement that keeps the policy's
// arrangement. On the tuning chips of docs/quality.md the cold refinement led at 60 s on the
// chips the policy trained on; from 120 s the hot schedule was level or lower on every chip,
// and at 300 s 0.2-0.9% lower than the cold one.
inline constexpr double kPipelineHotSeconds = 120;
// Whether `request` (its --seconds; a --moves budget alone is the default 10 s's) gets it.
bool pipeline_anneals_hot(const PlaceRequest& request);

// `rl`: the trained policy decoded greedily, plus sampled episodes, the best kept.
void register_placers();

}  // namespace rlplace::rl
