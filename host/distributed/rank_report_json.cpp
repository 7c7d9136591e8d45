#include "host/distributed/rank_report_json.hpp"

namespace kmlut::distributed {

nlohmann::ordered_json rank_reports_json(const std::vector<RankReport>& ranks) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const RankReport& rank : ranks) {
    entries.push_back({{"rank", rank.rank},
                       {"seconds", rank.seconds},
                       {"read_seconds", rank.read_seconds},
                       {"cluster_seconds", rank.cluster_seconds},
                       {"write_seconds", rank.write_seconds},
                       {"tensors_clustered", rank.tensors_clustered},
                       {"shards_written", rank.shards_written},
                       {"bytes_read", rank.bytes_read},
                       {"bytes_sent", rank.bytes_sent},
                       {"bytes_received", rank.bytes_received},
                       {"bytes_written", rank.bytes_written},
                       {"clustered", rank.clustered}});
  }
  return entries;
}

}  // namespace kmlut::distributed
