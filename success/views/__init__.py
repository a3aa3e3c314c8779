"""Success pages: plans, CTAs, insights and the success settings (thin: parse, call, render)."""
