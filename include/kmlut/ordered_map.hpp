// A small insertion-ordered string map. Config resolution depends on the order in which keys were
// defined ("the last defined pattern wins"), so config dictionaries keep it.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace kmlut {

template <class Value>
class OrderedMap {
 public:
  using value_type = std::pair<std::string, Value>;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  OrderedMap() = default;
  OrderedMap(std::initializer_list<value_type> items) {
    for (const auto& item : items)
      insert_or_assign(item.first, item.second);
  }

  // Replaces the value of an existing key in place (its position is kept, as in a Python dict);
  // appends a new key at the end.
  void insert_or_assign(const std::string& key, Value value) {
    auto it = locate(key);
    if (it != items_.end()) {
      it->second = std::move(value);
    } else {
      items_.emplace_back(key, std::move(value));
    }
  }

  const Value* find(const std::string& key) const {
    auto it = std::find_if(items_.begin(), items_.end(),
                           [&](const value_type& item) { return item.first == key; });
    return it == items_.end() ? nullptr : &it->second;
  }

  bool contains(const std::string& key) const { return find(key) != nullptr; }

  bool erase(const std::string& key) {
    auto it = locate(key);
    if (it == items_.end())
      return false;
    items_.erase(it);
    return true;
  }

  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  friend bool operator==(const OrderedMap& a, const OrderedMap& b) { return a.items_ == b.items_; }
  friend bool operator!=(const OrderedMap& a, const OrderedMap& b) { return !(a == b); }

 private:
  typename std::vector<value_type>::iterator locate(const std::string& key) {
    return std::find_if(items_.begin(), items_.end(),
                        [&](const value_type& item) { return item.first == key; });
  }

  std::vector<value_type> items_;
};

}  // namespace kmlut
