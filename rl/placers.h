// The learned placers, registered into placer/registry.h by the binaries that link rl/.
#pragma once

namespace rlplace::rl {

// `rl`: the trained policy decoded greedily, plus sampled episodes, the best kept.
void register_placers();

}  // namespace rlplace::rl
