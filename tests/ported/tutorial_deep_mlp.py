"""The tutorial's "A Simple Deep Network in PyTorch", verbatim but for its three import lines."""
import tinydl as torch
import tinydl.nn as nn
import tinydl.optim as optim
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
# Generate 2D classification data
X, y = make_moons(n_samples=1000, noise=0.2, random_state=42)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
X_train = torch.FloatTensor(X_train)
y_train = torch.LongTensor(y_train)
X_test = torch.FloatTensor(X_test)
y_test = torch.LongTensor(y_test)
# Define a deep network
class DeepMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(2, 64),
            nn.ReLU(),
            nn.Linear(64, 128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, 2)
        )
    def forward(self, x):
        return self.network(x)
# Training loop
model = DeepMLP()
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.001)
for epoch in range(200):
    # Forward pass
    outputs = model(X_train)
    loss = criterion(outputs, y_train)
    # Backward pass
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 50 == 0:
        correct = (outputs.argmax(1) == y_train).float().mean()
        print(f"Epoch {epoch+1}: Loss={loss.item():.4f}, Acc={correct:.4f}")
# Evaluate on test set
with torch.no_grad():
    test_outputs = model(X_test)
    test_acc = (test_outputs.argmax(1) == y_test).float().mean()
    print(f"\nTest Accuracy: {test_acc:.4f}")
