"""Training action: a class with a params model, progress, metrics and localized messages."""

from __future__ import annotations

import math
import time

from pydantic import BaseModel, Field

from synapse_sdk.i18n import LocalizedMessage, LogLevel, LogMessageCode
from synapse_sdk.plugins.action import BaseAction

EPOCH_DONE = LocalizedMessage(
    {'en': 'Epoch {epoch}/{epochs}: loss {loss:.4f}', 'ko': '에포크 {epoch}/{epochs}: 손실 {loss:.4f}'}
)


class TrainParams(BaseModel):
    epochs: int = Field(10, ge=1, le=1000, description='Number of passes over the dataset')
    batch_size: int = Field(32, ge=1, description='Images per batch')
    learning_rate: float = Field(0.01, gt=0, description='Initial learning rate')
    seconds_per_epoch: float = Field(0.0, ge=0, description='Simulated work per epoch')


class TrainResult(BaseModel):
    accuracy: float
    final_loss: float
    epochs: int


class TrainAction(BaseAction[TrainParams]):
    action_name = 'train'
    params_model = TrainParams
    result_model = TrainResult

    def execute(self) -> dict[str, float | int]:
        params = self.params
        self.ctx.log_message(
            LogMessageCode.CUSTOM_MESSAGE,
            message={'en': 'Training started', 'ko': '학습을 시작합니다'},
            level=LogLevel.INFO,
        )
        loss = 1.0
        for epoch in range(1, params.epochs + 1):
            if params.seconds_per_epoch:
                time.sleep(params.seconds_per_epoch)
            loss = math.exp(-params.learning_rate * 50 * epoch)
            self.set_metrics({'loss': round(loss, 6), 'epoch': epoch}, category='train')
            self.set_progress(epoch, params.epochs, category='train')
            self.log_message(EPOCH_DONE, epoch=epoch, epochs=params.epochs, loss=loss)
        accuracy = round(1 - loss / 2, 4)
        return {'accuracy': accuracy, 'final_loss': round(loss, 6), 'epochs': params.epochs}
