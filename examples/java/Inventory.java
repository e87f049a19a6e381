import java.util.ArrayList;
import java.util.List;

/** A small stock-keeping model: items, orders, discounts and a report. */
public class Inventory {
    enum Category { FOOD, TOOLS, BOOKS }

    static final class Item {
        final String name;
        final Category category;
        final long priceCents;
        int quantity;

        Item(String name, Category category, long priceCents, int quantity) {
            this.name = name;
            this.category = category;
            this.priceCents = priceCents;
            this.quantity = quantity;
        }
    }

    private final List<Item> items = new ArrayList<>();

    public void add(String name, Category category, long priceCents, int quantity) {
        if (priceCents < 0 || quantity < 0) {
            throw new IllegalArgumentException("negative price or quantity for " + name);
        }
        items.add(new Item(name, category, priceCents, quantity));
    }

    public Item find(String name) {
        for (Item item : items) {
            if (item.name.equals(name)) {
                return item;
            }
        }
        return null;
    }

    /** Percent off for a category and an order size. */
    static int discountPercent(Category category, int quantity) {
        int percent;
        switch (category) {
            case FOOD:
                percent = quantity >= 10 ? 5 : 0;
                break;
            case TOOLS:
                percent = 10;
                break;
            default:
                percent = 0;
                break;
        }
        if (quantity > 100) {
            percent += 5;
        }
        return percent;
    }

    /** Takes items out of stock; returns the price in cents, or -1 when stock is short. */
    public long order(String name, int quantity) {
        Item item = find(name);
        if (item == null || item.quantity < quantity) {
            return -1;
        }
        item.quantity -= quantity;
        long gross = item.priceCents * quantity;
        long discount = gross * discountPercent(item.category, quantity) / 100;
        return gross - discount;
    }

    public long stockValue() {
        long total = 0;
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            total += item.priceCents * item.quantity;
        }
        return total;
    }

    public List<String> lowStock(int threshold) {
        List<String> names = new ArrayList<>();
        int i = 0;
        while (i < items.size()) {
            if (items.get(i).quantity <= threshold) {
                names.add(items.get(i).name);
            }
            i += 1;
        }
        return names;
    }

    static String formatCents(long cents) {
        String sign = cents < 0 ? "-" : "";
        long abs = Math.abs(cents);
        long units = abs / 100, rest = abs % 100;
        return sign + units + "." + (rest < 10 ? "0" : "") + rest;
    }

    public static void main(String[] args) {
        Inventory inv = new Inventory();
        inv.add("apples", Category.FOOD, 45, 200);
        inv.add("hammer", Category.TOOLS, 1599, 12);
        inv.add("novel", Category.BOOKS, 899, 3);
        inv.add("rice", Category.FOOD, 230, 40);
        System.out.println("stock value: " + formatCents(inv.stockValue()));
        String[] orders = {"apples:150", "hammer:2", "novel:5", "rice:10", "paint:1"};
        for (String o : orders) {
            String[] parts = o.split(":");
            long price = inv.order(parts[0], Integer.parseInt(parts[1]));
            System.out.println(o + " -> " + (price < 0 ? "refused" : formatCents(price)));
        }
        System.out.println("low stock: " + inv.lowStock(10));
        System.out.println("stock value: " + formatCents(inv.stockValue()));
        try {
            inv.add("broken", Category.TOOLS, -1, 1);
        } catch (IllegalArgumentException e) {
            System.out.println("error: " + e.getMessage());
        }
    }
}
