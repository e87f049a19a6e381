"""A small stock-keeping model: items, orders, discounts and a report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Item:
    name: str
    category: str
    price_cents: int
    quantity: int


class Inventory:
    def __init__(self) -> None:
        self.items: dict[str, Item] = {}

    def add(self, name: str, category: str, price_cents: int, quantity: int) -> None:
        if price_cents < 0 or quantity < 0:
            raise ValueError(f"negative price or quantity for {name}")
        self.items[name] = Item(name, category, price_cents, quantity)

    @staticmethod
    def discount_percent(category: str, quantity: int) -> int:
        if category == "food":
            percent = 5 if quantity >= 10 else 0
        elif category == "tools":
            percent = 10
        else:
            percent = 0
        if quantity > 100:
            percent += 5
        return percent

    def order(self, name: str, quantity: int) -> int | None:
        item = self.items.get(name)
        if item is None or item.quantity < quantity:
            return None
        item.quantity -= quantity
        gross = item.price_cents * quantity
        return gross - gross * self.discount_percent(item.category, quantity) // 100

    def stock_value(self) -> int:
        total = 0
        for item in self.items.values():
            total += item.price_cents * item.quantity
        return total

    def low_stock(self, threshold: int) -> list[str]:
        return [name for name, item in self.items.items() if item.quantity <= threshold]


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d}"


if __name__ == "__main__":
    inv = Inventory()
    inv.add("apples", "food", 45, 200)
    inv.add("hammer", "tools", 1599, 12)
    inv.add("novel", "books", 899, 3)
    print("stock value:", format_cents(inv.stock_value()))
    for name, qty in [("apples", 150), ("hammer", 2), ("novel", 5), ("paint", 1)]:
        price = inv.order(name, qty)
        print(name, qty, "->", "refused" if price is None else format_cents(price))
    print("low stock:", inv.low_stock(10))
